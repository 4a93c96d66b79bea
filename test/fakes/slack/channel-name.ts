/**
 * Slack's channel naming rules as conversations.create and conversations.rename apply them
 * (https://docs.slack.dev/reference/methods/conversations.create, "Naming"): lowercase letters,
 * digits, hyphens and underscores, at most 80 characters. The error codes are Slack's own.
 */
export const MAX_CHANNEL_NAME = 80;

export type ChannelNameError =
  | 'invalid_name_required'
  | 'invalid_name_maxlength'
  | 'invalid_name_specials'
  | 'invalid_name_punctuation';

export function channelNameError(name: string | undefined): ChannelNameError | undefined {
  if (name === undefined || name === '') return 'invalid_name_required';
  if (name.length > MAX_CHANNEL_NAME) return 'invalid_name_maxlength';
  // Upper case counts as a special character: "contained unallowed special characters or upper case characters".
  if (!/^[a-z0-9_-]+$/.test(name)) return 'invalid_name_specials';
  if (!/[a-z0-9]/.test(name)) return 'invalid_name_punctuation';
  return undefined;
}
