export default {
  async fetch(): Promise<Response> {
    return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
  },
} satisfies ExportedHandler;
