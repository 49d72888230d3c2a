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
  // hsp serve marks the pages it serves: the marketplace is the page's own origin, no need to ask.
  const marker = document.querySelector('meta[name="hsp-config"]')?.getAttribute('content');
  const configured = marker === 'same-origin' ? '' : await readConfigFile();
  const url = configured ? new URL(configured, window.location.href) : new URL(window.location.origin);
  uiConfig.marketplaceUrl = url.href.replace(/\/+$/, '');
  return uiConfig;
}

async function readConfigFile(): Promise<string> {
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-cache' });
    if (!response.ok) return '';
    const body = (await response.json()) as { marketplaceUrl?: unknown };
    return typeof body.marketplaceUrl === 'string' ? body.marketplaceUrl.trim() : '';
  } catch {
    // No config.json (or not JSON): the page's own origin.
    return '';
  }
}
