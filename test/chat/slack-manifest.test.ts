import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../../commands/index.ts';
import { buildManifest } from '../../scripts/slack-manifest.ts';

const committed = readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8');
const manifest = parse(committed) as {
  display_information: { name: string; description: string; background_color: string };
  features: {
    bot_user: { display_name: string; always_online: boolean };
    slash_commands: { command: string; description: string; usage_hint: string; should_escape: boolean }[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[]; request_url?: string };
    interactivity: { is_enabled: boolean; request_url?: string };
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
    token_rotation_enabled: boolean;
  };
};

/**
 * Scopes Slack requires per bot event (docs.slack.dev/reference/events). Kept here, apart from the
 * script, so a wrong table there cannot make this test agree with it. member_joined_channel is
 * delivered per channel type: channels:read for public channels, groups:read for private ones,
 * and incident channels are both.
 */
const EVENT_SCOPES: Record<string, string[]> = {
  'message.channels': ['channels:history'],
  'message.groups': ['groups:history'],
  reaction_added: ['reactions:read'],
  reaction_removed: ['reactions:read'],
  pin_added: ['pins:read'],
  pin_removed: ['pins:read'],
  member_joined_channel: ['channels:read', 'groups:read'],
};

describe('manifest.yml', () => {
  it('is what scripts/slack-manifest.ts generates from commands/', () => {
    expect(
      committed === buildManifest(commands),
      'manifest.yml is out of date with commands/: run `npx tsx scripts/slack-manifest.ts` and commit the result',
    ).toBe(true);
  });

  it('has one slash command per command group, escaped, within Slack limits', () => {
    const groups = [...new Set(commands.map((c) => c.group))];
    const slash = manifest.features.slash_commands;
    expect(slash.map((s) => s.command)).toEqual(groups.map((g) => `/${g}`));
    for (const s of slash) {
      const group = s.command.slice(1);
      expect(s.command.length).toBeLessThanOrEqual(32);
      expect(s.description.length).toBeGreaterThan(0);
      expect(s.description.length).toBeLessThanOrEqual(140);
      expect(s.usage_hint.length).toBeLessThanOrEqual(1000);
      expect(s.should_escape).toBe(true);
      // The hint starts with the group's first subcommand and always offers help.
      const first = commands.find((c) => c.group === group)!.name;
      expect(s.usage_hint.startsWith(first)).toBe(true);
      expect(s.usage_hint.endsWith('help')).toBe(true);
    }
  });

  it('requests every scope the bot uses, and only those', () => {
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(
      new Set([
        'channels:manage',
        'groups:write',
        'channels:read',
        'groups:read',
        'channels:history',
        'groups:history',
        'chat:write',
        'chat:write.public',
        'commands',
        'users:read',
        'usergroups:read',
        'reactions:read',
        'pins:read',
        'files:write',
      ]),
    );
    // Every scope says what it is for, in a comment beside it.
    const lines = committed.split('\n').map((l) => l.trim());
    for (const scope of manifest.oauth_config.scopes.bot) {
      expect(
        lines.some((l) => new RegExp(`^- ${scope.replace(/\./g, '\\.')} # \\S`).test(l)),
        `${scope} has no comment`,
      ).toBe(true);
    }
  });

  it('subscribes to the events the timeline needs, each with the scope Slack requires for it', () => {
    const events = manifest.settings.event_subscriptions.bot_events;
    expect(new Set(events)).toEqual(new Set(Object.keys(EVENT_SCOPES)));
    const scopes = new Set(manifest.oauth_config.scopes.bot);
    for (const event of events) {
      for (const needed of EVENT_SCOPES[event] ?? ['(unknown event)']) {
        expect(scopes.has(needed), `${event} needs ${needed}`).toBe(true);
      }
    }
    // chat:write.public only works together with chat:write.
    expect(scopes.has('chat:write')).toBe(true);
  });

  it('runs in Socket Mode with interactivity on, and says how to switch to HTTP mode', () => {
    const s = manifest.settings;
    expect(s.socket_mode_enabled).toBe(true);
    expect(s.interactivity.is_enabled).toBe(true);
    expect(s.org_deploy_enabled).toBe(false);
    expect(s.token_rotation_enabled).toBe(false);
    // Socket Mode needs no URLs; HTTP mode's are in the header comment.
    expect(s.event_subscriptions.request_url).toBeUndefined();
    expect(s.interactivity.request_url).toBeUndefined();
    expect(committed).toContain('socket_mode_enabled: false');
    expect(committed).toContain('https://<your-host>/slack/events');
    expect(committed).toContain('SLACK_SIGNING_SECRET');
  });

  it('names the bot within Slack limits', () => {
    const d = manifest.display_information;
    expect(d.name).toBe('incident-bot');
    expect(d.name.length).toBeLessThanOrEqual(35);
    expect(d.description.length).toBeLessThanOrEqual(140);
    expect(d.background_color).toMatch(/^#[0-9a-fA-F]{6}$/);
    expect(manifest.features.bot_user).toEqual({ display_name: 'incident-bot', always_online: true });
  });
});
