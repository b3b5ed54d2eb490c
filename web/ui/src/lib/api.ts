// Talks to Promethium's /api/v1 under the route prefix the server injected
// into index.html.

// The route prefix without trailing slash ("" at the root). The meta tag's
// placeholder is replaced by the server; unreplaced (vite dev) means "".
export function routePrefix(): string {
  const meta = document.querySelector('meta[name="promethium-route-prefix"]');
  const v = meta?.getAttribute('content') ?? '';
  if (v === 'ROUTE_PREFIX_PLACEHOLDER') return '';
  return v.replace(/\/+$/, '');
}

export interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

export class ApiError extends Error {}

// GETs /api/v1/<path>; throws ApiError with the server's message (or the
// HTTP status) when the call fails.
export async function apiGet<T>(path: string, params?: Record<string, string>): Promise<ApiResponse<T>> {
  const qs = params ? '?' + new URLSearchParams(params).toString() : '';
  let resp: Response;
  try {
    resp = await fetch(`${routePrefix()}/api/v1/${path}${qs}`, { cache: 'no-store' });
  } catch (e) {
    throw new ApiError(`network error: ${(e as Error).message}`);
  }
  const text = await resp.text();
  let body: ApiResponse<T>;
  try {
    body = JSON.parse(text) as ApiResponse<T>;
  } catch {
    throw new ApiError(`HTTP ${resp.status}: ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success') throw new ApiError(`${body.errorType ?? 'error'}: ${body.error ?? resp.status}`);
  return body;
}
