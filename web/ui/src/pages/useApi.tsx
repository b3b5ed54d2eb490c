// Fetches one /api/v1 endpoint for a page; errors become a message, never a
// crash (several status endpoints may be partial).
import { useEffect, useState } from 'preact/hooks';
import { apiGet } from '../lib/api';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

export function useApi<T>(path: string, params?: Record<string, string>, reloadKey = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: true });
  const paramsKey = JSON.stringify(params ?? {});
  useEffect(() => {
    let live = true;
    apiGet<T>(path, params)
      .then((r) => live && setState({ data: r.data, loading: false }))
      .catch((e: Error) => live && setState({ error: e.message, loading: false }));
    return () => {
      live = false;
    };
  }, [path, paramsKey, reloadKey]);
  return state;
}

export function LoadError({ what, error }: { what: string; error?: string }) {
  if (!error) return null;
  return (
    <div class="alert error">
      Could not load {what}: {error}
    </div>
  );
}

// "Loading…" while the call runs, then its error (if any).
export function LoadStatus<T>({ what, loaded }: { what: string; loaded: Loaded<T> }) {
  if (loaded.loading) return <div class="loading">Loading…</div>;
  return <LoadError what={what} error={loaded.error} />;
}
