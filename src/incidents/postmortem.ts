import type { Logger } from 'pino';
import type { ChatMessage } from '../chat/message.ts';
import type { FileUpload } from '../chat/port.ts';
import type { Actor, Clock, Incident } from '../core/index.ts';
import type { UnitOfWork } from '../delivery/unit-of-work.ts';
import type { PostmortemDraft, PostmortemService } from '../postmortem/index.ts';
import type { Store } from '../store/port.ts';
import { post, upload } from './drafts.ts';
import { incidentRef } from './format.ts';

export interface PostmortemPublisherOptions {
  /** Draft when an incident is resolved. */
  readonly onResolve: boolean;
  /** The bot's address people use (PUBLIC_URL): the draft's API path becomes a link there. */
  readonly publicUrl?: string | undefined;
}

/**
 * Drafts an incident's post-mortem and puts it where people look: the Markdown file in the
 * channel (a Slack file, a sandbox attachment), a short message saying how it was written (by the
 * model, or the deterministic draft and why), and a timeline note. Drafting never blocks the
 * incident: a model that fails falls back inside the service, and a chat failure is logged.
 */
export class PostmortemPublisher {
  /** Drafts in progress per incident: a second request waits for the first, then drafts again. */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly uow: UnitOfWork,
    private readonly postmortems: PostmortemService,
    private readonly options: PostmortemPublisherOptions,
  ) {}

  /** For IncidentService: a resolve starts a draft in the background. */
  resolved(incident: Incident): void {
    if (!this.options.onResolve) return;
    void this.publish(incident, undefined).catch((err) =>
      this.logger.error({ err, incident: incident.id }, 'drafting the post-mortem on resolve failed'),
    );
  }

  /** Drafts (again) and posts it. `actor` is who asked; undefined when the resolve did. */
  async publish(incident: Incident, actor: Actor | undefined): Promise<PostmortemDraft> {
    const previous = this.running.get(incident.id);
    const job = (async () => {
      await previous?.catch(() => undefined);
      return this.draftAndPost(incident, actor);
    })();
    this.running.set(incident.id, job);
    try {
      return await job;
    } finally {
      if (this.running.get(incident.id) === job) this.running.delete(incident.id);
    }
  }

  /** Waits for drafts in progress (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** A link where the bot's address is known; else the path, which the sandbox page links itself. */
  private apiLink(path: string): string {
    const base = this.options.publicUrl;
    return base ? `<${new URL(path, base).href}|${path}>` : `\`${path}\``;
  }

  private async draftAndPost(incident: Incident, actor: Actor | undefined): Promise<PostmortemDraft> {
    const draft = await this.postmortems.draft(incident);
    const current = (await this.store.getIncident(incident.id)) ?? incident;
    const { postmortem } = draft;
    const ref = incidentRef(current);
    const reason = (draft.fallbackReason ?? 'No model is configured').replace(/\.?\s*$/, '.');
    const how =
      postmortem.source === 'llm'
        ? `written with ${postmortem.model ?? 'the model'}; every claim cites the timeline entries it rests on ([#id])`
        : `the deterministic draft. ${reason} Its narrative sections are questions for the author`;
    const header = `📝 Post-mortem draft v${postmortem.version} for ${ref}`;
    const message: ChatMessage = {
      text: `${header}: ${how}.`,
      header,
      sections: [
        `This is ${how}. Times, durations, actions and people come from the record.`,
        `Edit it into the final post-mortem; \`/incident postmortem\` drafts it again from the current timeline. Also at ${this.apiLink(`/api/incidents/${current.number}/postmortem`)}.`,
      ],
      ...(draft.promptTokens !== null && postmortem.source === 'llm'
        ? { context: [`Prompt ≈ ${draft.promptTokens.toLocaleString('en-US')} tokens (estimate)`] }
        : {}),
    };
    // The note, the message and the file commit together: a crash cannot leave one without the others.
    await this.uow.commit(async (tx, send) => {
      await tx.appendTimeline({
        incidentId: current.id,
        kind: 'note',
        at: this.clock.now(),
        actorId: actor?.id ?? null,
        actorName: actor?.name ?? 'incident-bot',
        text: `Post-mortem draft v${postmortem.version} (${postmortem.source === 'llm' ? `model ${postmortem.model}` : 'deterministic'})`,
        data: { postmortemVersion: postmortem.version, source: postmortem.source },
      });
      if (!current.channelId) return;
      const file: FileUpload = {
        filename: `INC-${current.number}-postmortem.md`,
        title: `${ref} post-mortem draft v${postmortem.version}`,
        content: postmortem.markdown,
      };
      send(post(current, message), upload(current, file));
    });
    return draft;
  }
}
