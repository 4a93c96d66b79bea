/** People and user groups of the fake workspace, and their Web API JSON shapes. */

export interface FakeUser {
  readonly id: string;
  /** The legacy username (`user_name` in slash commands). */
  readonly name: string;
  readonly realName: string;
  readonly displayName: string;
  /** IANA zone; users.info also reports `tz_label` and `tz_offset` for it. */
  readonly tz: string;
  readonly email?: string;
  readonly isBot: boolean;
  readonly botId?: string;
  readonly deleted: boolean;
}

export interface FakeUserGroup {
  readonly id: string;
  readonly handle: string;
  readonly name: string;
  readonly users: readonly string[];
}

export interface NewUser {
  readonly id?: string;
  readonly name: string;
  readonly realName?: string;
  readonly displayName?: string;
  readonly tz?: string;
  readonly email?: string;
  readonly isBot?: boolean;
  readonly deleted?: boolean;
}

export interface NewUserGroup {
  readonly id?: string;
  readonly handle: string;
  readonly name?: string;
  readonly users: readonly string[];
}

export const SEED_USERS: readonly FakeUser[] = [
  {
    id: 'U0ALICE',
    name: 'alice',
    realName: 'Alice Anders',
    displayName: 'alice',
    tz: 'Europe/Berlin',
    email: 'alice@example.com',
    isBot: false,
    deleted: false,
  },
  {
    id: 'U0BOB',
    name: 'bob',
    realName: 'Bob Brown',
    displayName: 'bob',
    tz: 'America/New_York',
    email: 'bob@example.com',
    isBot: false,
    deleted: false,
  },
  {
    id: 'U0CAROL',
    name: 'carol',
    realName: 'Carol Chen',
    displayName: 'carol',
    tz: 'Asia/Tokyo',
    email: 'carol@example.com',
    isBot: false,
    deleted: false,
  },
  // Every workspace has Slackbot; note that Slack reports it with is_bot false.
  {
    id: 'USLACKBOT',
    name: 'slackbot',
    realName: 'Slackbot',
    displayName: 'Slackbot',
    tz: 'America/Los_Angeles',
    isBot: false,
    deleted: false,
  },
];

export const SEED_GROUPS: readonly FakeUserGroup[] = [
  { id: 'S0SRE', handle: 'sre', name: 'SRE on call', users: ['U0ALICE', 'U0BOB'] },
];

function part(tz: string, at: Date, style: 'long' | 'longOffset'): string | undefined {
  return new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: style })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
}

/** Slack's `tz_label` ("Central European Standard Time") and `tz_offset` (seconds east of UTC), now. */
export function tzInfo(tz: string, at = new Date()): { label: string; offset: number } {
  const label = part(tz, at, 'long') ?? tz;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part(tz, at, 'longOffset') ?? '');
  const offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  return { label, offset };
}

export function userJson(u: FakeUser, teamId: string, appId: string): Record<string, unknown> {
  const { label, offset } = tzInfo(u.tz);
  return {
    id: u.id,
    team_id: teamId,
    name: u.name,
    deleted: u.deleted,
    color: '9f69e7',
    real_name: u.realName,
    tz: u.tz,
    tz_label: label,
    tz_offset: offset,
    profile: {
      real_name: u.realName,
      real_name_normalized: u.realName,
      display_name: u.displayName,
      display_name_normalized: u.displayName,
      first_name: u.realName.split(' ')[0] ?? '',
      last_name: u.realName.split(' ').slice(1).join(' '),
      ...(u.email ? { email: u.email } : {}),
      ...(u.botId ? { bot_id: u.botId, api_app_id: appId, always_active: true } : {}),
      status_text: '',
      status_emoji: '',
      team: teamId,
    },
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: u.isBot,
    is_app_user: false,
    updated: 1_700_000_000,
  };
}

export function userGroupJson(
  g: FakeUserGroup,
  teamId: string,
  includeUsers: boolean,
): Record<string, unknown> {
  return {
    id: g.id,
    team_id: teamId,
    is_usergroup: true,
    is_subteam: true,
    name: g.name,
    description: '',
    handle: g.handle,
    is_external: false,
    date_create: 1_700_000_000,
    date_update: 1_700_000_000,
    date_delete: 0,
    auto_type: null,
    created_by: 'U0ALICE',
    updated_by: 'U0ALICE',
    deleted_by: null,
    prefs: { channels: [], groups: [] },
    user_count: g.users.length,
    ...(includeUsers ? { users: [...g.users] } : {}),
  };
}
