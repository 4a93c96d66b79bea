import { BOT_LIMITS } from './limits.ts';
/**
 * Channel names follow Slack's rules, the strictest of the platforms: lowercase, only [a-z0-9-_],
 * at most 80 characters. Discord accepts the same names.
 */
export const MAX_CHANNEL_NAME = BOT_LIMITS.channelName;

export function slugify(title: string): string {
  return (
    title
      .normalize('NFKD')
      // Combining marks left by NFKD (é → e + ´) go; other non-ASCII becomes a separator.
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '')
  );
}

/** `inc-<number>-<slug>`, trimmed at a word boundary where possible; `attempt` > 1 adds `-<attempt>`. */
export function channelName(number: number, title: string, attempt = 1): string {
  const prefix = `inc-${number}`;
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const room = MAX_CHANNEL_NAME - prefix.length - suffix.length - 1;
  let slug = slugify(title);
  if (slug.length > room) {
    slug = slug.slice(0, room);
    const cut = slug.lastIndexOf('-');
    if (cut > room / 2) slug = slug.slice(0, cut);
    slug = slug.replace(/[-_]+$/, '');
  }
  return slug && room > 0 ? `${prefix}-${slug}${suffix}` : `${prefix}${suffix}`;
}

/** Candidate names in the order to try them when a name is taken (also by an archived channel). */
export function* channelNameCandidates(number: number, title: string, maxAttempts = 20): Generator<string> {
  // A slug cut at a word boundary can end in `-<k>` and equal a later attempt's suffix; skip repeats.
  const seen = new Set<string>();
  for (let attempt = 1; seen.size < maxAttempts && attempt <= maxAttempts * 4; attempt++) {
    const name = channelName(number, title, attempt);
    if (seen.has(name)) continue;
    seen.add(name);
    yield name;
  }
}

export function isValidChannelName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_CHANNEL_NAME && /^[a-z0-9_-]+$/.test(name);
}
