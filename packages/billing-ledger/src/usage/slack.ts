/** Slack incoming-webhook adapter: posts `{ text }` as JSON; Slack answers 200 "ok". */
export interface Notifier {
  notify(text: string): Promise<{ ok: true } | { ok: false; error: string }>;
}

export function slackNotifier(webhookUrl: string, options: { fetch?: typeof fetch } = {}): Notifier {
  const doFetch = options.fetch ?? fetch;
  return {
    async notify(text) {
      try {
        const res = await doFetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text }),
        });
        return res.ok
          ? { ok: true }
          : { ok: false, error: `Slack answered ${res.status}: ${(await res.text()).slice(0, 200)}` };
      } catch (error) {
        return { ok: false, error: `Slack unreachable: ${(error as Error).message}` };
      }
    },
  };
}
