// A set of strings held in component state, with a toggle (the pages'
// filter checkboxes: target health, alert states).
import { useState } from 'preact/hooks';

export function useToggleSet(): [Set<string>, (item: string) => void] {
  const [set, setSet] = useState(new Set<string>());
  const toggle = (item: string) => {
    const next = new Set(set);
    next.has(item) ? next.delete(item) : next.add(item);
    setSet(next);
  };
  return [set, toggle];
}
