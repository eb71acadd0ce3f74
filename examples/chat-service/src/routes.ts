import type { SwitchyardClient } from '@switchyard/runtime';
import type { Route } from './http.ts';
import type { ChatService } from './service.ts';

/** The service's HTTP API (examples/chat-service/README.md): health, status, then the chat service's operations. */
export function chatRoutes(runtime: SwitchyardClient, service: ChatService, status: () => unknown): Route[] {
  const id = '([^/]+)';
  return [
    {
      method: 'GET',
      pattern: /^\/healthz$/,
      handle: () => ({
        status: runtime.status().ready ? 200 : 503,
        body: { status: runtime.status().ready ? 'ok' : 'not-ready' },
      }),
    },
    { method: 'GET', pattern: /^\/status$/, handle: () => ({ body: status() }) },
    { method: 'POST', pattern: /^\/conversations$/, handle: (c) => service.createConversation(c.body) },
    {
      method: 'GET',
      pattern: new RegExp(`^/conversations/${id}$`),
      handle: (c) => service.getConversation(c.params[0]!),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/conversations/${id}/messages$`),
      handle: (c) => service.sendMessage(c.params[0]!, c.body),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/conversations/${id}/model-migration$`),
      handle: (c) => service.migrationOffer(c.params[0]!),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/conversations/${id}/model-migration$`),
      handle: (c) => service.migrateModel(c.params[0]!, c.body),
    },
    { method: 'POST', pattern: /^\/summaries$/, handle: (c) => service.summarize(c.body) },
    { method: 'POST', pattern: /^\/feedback$/, handle: (c) => service.feedback(c.body) },
    { method: 'POST', pattern: /^\/documents$/, handle: (c) => service.indexDocument(c.body) },
    { method: 'POST', pattern: /^\/search$/, handle: (c) => service.search(c.body) },
  ];
}
