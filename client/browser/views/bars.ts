/** The current distribution as horizontal bars, one row per label, in the model's label order. */
import { colorOf } from '../../palette.js';

export class BarsView {
  private rows = new Map<string, { fill: HTMLElement; value: HTMLElement; row: HTMLElement }>();

  constructor(private readonly root: HTMLElement) {}

  /** Builds one row per label; the bars start empty. */
  reset(labels: readonly string[]): void {
    this.root.replaceChildren();
    this.rows.clear();
    for (const label of labels) {
      const row = document.createElement('div');
      row.className = 'bar-row';
      row.dataset.label = label;
      row.style.setProperty('--emotion', colorOf(label));
      const name = document.createElement('span');
      name.className = 'bar-label';
      name.textContent = label;
      const track = document.createElement('div');
      track.className = 'bar-track';
      const fill = document.createElement('div');
      fill.className = 'bar-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'bar-value';
      value.textContent = '–';
      row.append(name, track, value);
      this.root.append(row);
      this.rows.set(label, { fill, value, row });
    }
  }

  update(probs: Readonly<Record<string, number>>, top: string): void {
    for (const [label, { fill, value, row }] of this.rows) {
      const p = probs[label] ?? 0;
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      value.textContent = `${Math.round(p * 100)}%`;
      row.dataset.p = p.toFixed(4);
      row.classList.toggle('is-top', label === top);
    }
  }
}
