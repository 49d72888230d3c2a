/**
 * Which marketplace the UI talks to: `config.json` beside index.html says, so a static build is
 * pointed at another marketplace by editing one file, not by rebuilding. An empty
 * `marketplaceUrl` (what hsp serve answers) means the origin that served the UI.
 */
export interface UiConfig {
  marketplaceUrl: string;
}

/** Filled in at boot, before the first page renders. */
export const uiConfig: UiConfig = { marketplaceUrl: '' };

export async function loadConfig(): Promise<UiConfig> {
  let configured = '';
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-cache' });
    if (response.ok) {
      const body = (await response.json()) as { marketplaceUrl?: unknown };
      if (typeof body.marketplaceUrl === 'string') configured = body.marketplaceUrl.trim();
    }
  } catch {
    // No config.json (or not JSON): the page's own origin, which is right for hsp serve.
  }
  const url = configured ? new URL(configured, window.location.href) : new URL(window.location.origin);
  uiConfig.marketplaceUrl = url.href.replace(/\/+$/, '');
  return uiConfig;
}
