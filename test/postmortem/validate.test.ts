import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timeFormat } from '../../src/postmortem/time.ts';
import { checkClaims, KnownTimes, unknownTimes } from '../../src/postmortem/validate.ts';

const instants = [
  '2026-11-22T03:00:00Z',
  '2026-11-22T03:12:41Z',
  '2026-11-22T15:05:00Z',
  '2026-11-23T00:30:00Z',
].map((s) => new Date(s));
const utc = new KnownTimes(instants, timeFormat('UTC'));
const berlin = new KnownTimes(instants, timeFormat('Europe/Berlin'));

describe('times a draft may write', () => {
  it.each([
    ['declared at 03:00', []],
    ['at 3:00 the alert fired', []],
    ['the finding came at 03:12:41', []],
    ['the finding came at 03:12:40', ['03:12:40']],
    ['03:12 and 04:17', ['04:17']],
    ['at 3:05 pm', []],
    ['at 3:05 am', ['3:05 am']],
    ['12:30 a.m.', []],
    ['2026-11-22T03:12Z', []],
    ['2026-11-22T03:12:41Z', []],
    ['2026-11-22 03:00 UTC', []],
    ['2026-11-22T04:12+01:00', []],
    ['2026-11-22T04:12+0100', []],
    ['2026-11-22T03:13Z', ['2026-11-22T03:13Z']],
    ['2026-11-21T03:00Z', ['2026-11-21T03:00Z']],
    ['2026-11-22T03:00', []],
    ['Xid 79, PCI 0000:9a:00.0, ratio 10:20:30:40, version 1.2:30', []],
    ['a 99:99 is no time of day', []],
  ])('%j → %j (UTC)', (text, bad) => {
    expect(unknownTimes(text, utc)).toEqual(bad);
  });

  it('reads bare clock times in the display zone, ISO times by their offset', () => {
    expect(unknownTimes('at 04:00', berlin)).toEqual([]);
    expect(unknownTimes('at 03:00', berlin)).toEqual(['03:00']);
    expect(unknownTimes('2026-11-22T04:00+01:00 and 2026-11-22T03:00Z', berlin)).toEqual([]);
    expect(unknownTimes('2026-11-23 01:30', berlin)).toEqual([]);
    expect(unknownTimes('2026-11-23 00:30', berlin)).toEqual(['2026-11-23 00:30']);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(Array.isArray(unknownTimes(s, utc))).toBe(true);
      }),
    );
  });
});

describe('checkClaims', () => {
  const evidence = { ids: new Set([1, 2, 5]), times: utc, zoneLabel: 'UTC' };

  it('accepts claims that cite shown entries and write known times or none', () => {
    expect(
      checkClaims(
        [
          { path: 'summary', claim: { text: 'Declared at 03:00; see #2.', cites: [1, 5] } },
          { path: 'impact', claim: { text: 'Jobs stalled.', cites: [2] } },
        ],
        evidence,
      ),
    ).toEqual([]);
  });

  it('names each unknown id (in cites or inline) and each unknown time, with where it is', () => {
    expect(
      checkClaims(
        [{ path: 'whatWentWrong[1]', claim: { text: 'At 04:44 (#7) it broke.', cites: [5, 6] } }],
        evidence,
      ),
    ).toEqual([
      'whatWentWrong[1]: cites #6, which is not an entry you were given',
      'whatWentWrong[1]: cites #7, which is not an entry you were given',
      'whatWentWrong[1]: mentions the time "04:44", which is not the time of any entry or milestone (UTC); leave times out and cite the entry instead',
    ]);
  });
});
