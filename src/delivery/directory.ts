import type { ChatPlatform } from '../chat/port.ts';
import { BotError, type Incident } from '../core/index.ts';
import { formatTime } from '../incidents/format.ts';

/**
 * The chat platforms the bot is connected to, by id, and what every message drawn for one needs:
 * the platform an incident lives on, and times shown the platform's way.
 */
export class ChatDirectory {
  constructor(
    private readonly platforms: ReadonlyMap<string, ChatPlatform>,
    /** Shown where a platform does not show each reader their own zone. */
    readonly displayTimeZone: string,
  ) {}

  get(id: string): ChatPlatform | undefined {
    return this.platforms.get(id);
  }

  all(): ChatPlatform[] {
    return [...this.platforms.values()];
  }

  /** The platform the incident lives on; a BotError when it is no longer connected. */
  chatFor(incident: Incident): ChatPlatform {
    const chat = this.platforms.get(incident.platform);
    if (!chat) {
      throw new BotError(
        'bot.chat.platform_missing',
        `INC-${incident.number} lives on ${incident.platform}, which is not connected.`,
        { hint: `Configure ${incident.platform} again to work on this incident.` },
      );
    }
    return chat;
  }

  /** "16 minutes ago" as the platform keeps it current; else the time it was, in DISPLAY_TIMEZONE. */
  relativeTime(chat: ChatPlatform, at: Date): string {
    const fallback = `since ${formatTime(at, this.displayTimeZone, true)}`;
    return chat.relativeTime ? chat.relativeTime(at, fallback) : fallback;
  }

  /** A time in a shared message: each reader's zone where the platform can, else DISPLAY_TIMEZONE. */
  channelTime(chat: ChatPlatform, at: Date, withDate = true): string {
    const fallback = formatTime(at, this.displayTimeZone, withDate);
    return chat.localTime ? chat.localTime(at, fallback, withDate) : fallback;
  }
}
