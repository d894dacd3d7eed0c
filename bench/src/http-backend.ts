// git http-backend behind node:http on 127.0.0.1: the runner the store's sync tests use, loaded from
// its compiled file (bench/dist/src/ → packages/store/dist/test/helpers/).
export interface HttpBackend {
  /** http://127.0.0.1:PORT; append "/NAME.git". */
  url: string;
  close(): Promise<void>;
}

const HELPER = new URL('../../../packages/store/dist/test/helpers/http-backend.js', import.meta.url).href;

/** Serves every repository under `projectRoot` with git's own smart HTTP server. */
export async function startHttpBackend(projectRoot: string): Promise<HttpBackend> {
  const helper = (await import(HELPER)) as { startHttpBackend: (root: string) => Promise<HttpBackend> };
  return helper.startHttpBackend(projectRoot);
}
