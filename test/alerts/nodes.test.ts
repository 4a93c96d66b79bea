import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NODE_LABEL_KEYS, nodesFromLabels } from '../../src/alerts/index.ts';
import { NODE_NAME_PATTERN } from '../../src/nodes/port.ts';

describe('nodesFromLabels', () => {
  it('reads node, instance, host, hostname in that order, stripping ports and duplicates', () => {
    expect(nodesFromLabels({ instance: 'gpu-node-5:9100' })).toEqual(['gpu-node-5']);
    expect(nodesFromLabels({ node: 'gpu-node-5', instance: 'gpu-node-5:9400' })).toEqual(['gpu-node-5']);
    expect(nodesFromLabels({ hostname: 'b', host: 'a.rack2.local', node: 'c' })).toEqual([
      'c',
      'a.rack2.local',
      'b',
    ]);
    expect(nodesFromLabels({ instance: '10.0.0.5:9100' })).toEqual(['10.0.0.5']);
    expect(nodesFromLabels({ pod: 'x', job: 'y' })).toEqual([]);
  });

  it("reads dcgm-exporter's Hostname, where its alerts name the node", () => {
    const dcgm = {
      alertname: 'DCGM_FI_DEV_XID_ERRORS',
      gpu: '4',
      UUID: 'GPU-e24f2c9b-e14f-2b08-e44f-2fc1e34f2e2e',
      Hostname: 'gpu-node-5',
    };
    expect(nodesFromLabels(dcgm)).toEqual(['gpu-node-5']);
    // Its scrape target is the exporter pod; `alerts.nodeLabels: [Hostname]` leaves that out.
    expect(nodesFromLabels({ ...dcgm, instance: '10.0.3.7:9400' }, ['Hostname'])).toEqual(['gpu-node-5']);
  });

  it('uses configured keys', () => {
    expect(nodesFromLabels({ node: 'a', kubernetes_node: 'b' }, ['kubernetes_node'])).toEqual(['b']);
  });

  it.each([
    'gpu-node-5;rm -rf /',
    'gpu-node-5 && reboot',
    '$(reboot)',
    '`id`',
    'a|b',
    'node 5',
    '-oProxyCommand=x',
    'https://server.example.org',
    '[::1]:9100',
    '',
    'gpu-node-5:9100;id',
    'a'.repeat(300),
  ])('ignores %j', (value) => {
    expect(nodesFromLabels({ node: value, instance: value })).toEqual([]);
  });

  it('only ever returns names the node pattern accepts', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...DEFAULT_NODE_LABEL_KEYS), fc.string()), (labels) => {
        for (const n of nodesFromLabels(labels)) expect(NODE_NAME_PATTERN.test(n)).toBe(true);
      }),
    );
  });
});
