// Label sets as a row of `name="value"` badges (targets, rules, alerts).
export function Labels({ labels }: { labels: Record<string, string> }) {
  return (
    <div class="labels">
      {Object.entries(labels).map(([k, v]) => (
        <span class="label-badge">
          {k}="{v}"
        </span>
      ))}
    </div>
  );
}
