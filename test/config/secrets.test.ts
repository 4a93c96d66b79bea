import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createRedactor } from '../../src/core/index.ts';
import { configuredSecrets } from '../../src/main.ts';
import { tempDir } from '../helpers/bot-process.ts';

describe('configuredSecrets: what the redactor blanks as literals', () => {
  it('takes every secret variable, the database password and the variables adapters name', () => {
    const tmp = tempDir();
    try {
      writeFileSync(
        `${tmp.dir}/bot.yml`,
        'adapters:\n  - type: http\n    baseUrl: http://orchestrator:8080\n    tokenEnv: ORCH_TOKEN\n',
      );
      const env = {
        CONFIG_FILE: `${tmp.dir}/bot.yml`,
        DATABASE_URL: 'postgres://bot:p%40ss-w0rd-db@db:5432/incidents',
        OPENAI_API_KEY: 'gw-local-key-0123456789',
        WEBHOOK_TOKEN: 'webhook-token-0123456789',
        SLACK_BOT_TOKEN: 'xoxb-1-2-abcdefghijkl',
        SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
        ORCH_TOKEN: 'orchestrator-token-opaque',
      };
      const secrets = configuredSecrets(loadConfig(env), env);
      expect(secrets).toEqual(
        expect.arrayContaining([
          'gw-local-key-0123456789',
          'webhook-token-0123456789',
          'xoxb-1-2-abcdefghijkl',
          'signing-secret-0123456789',
          'p%40ss-w0rd-db',
          'p@ss-w0rd-db',
          'orchestrator-token-opaque',
        ]),
      );
      const redact = createRedactor({ secrets });
      expect(redact('orchestrator said: bad token orchestrator-token-opaque; db p@ss-w0rd-db')).toBe(
        'orchestrator said: bad token [redacted]; db [redacted]',
      );
    } finally {
      tmp.remove();
    }
  });
});
