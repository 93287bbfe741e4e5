/** The read-only view of stored documents (`Engine.documents()`): text, metadata and each dense leg's stored units. */
import { DenseLeg } from '../legs/dense/leg.js';
import type { EngineState } from './persist.js';
import type { StoredDocumentView } from './types.js';

/** Views of the documents among `ids` still stored, with what every dense leg holds for them (no model runs). */
export async function storedViews(state: EngineState, ids: readonly string[]): Promise<StoredDocumentView[]> {
  const store = state.store;
  const present = ids.filter((id) => store.has(id));
  const dense = state.legs.filter((l) => l.leg instanceof DenseLeg);
  const units = await Promise.all(dense.map(({ leg }) => (leg as DenseLeg).stored(present)));
  return present.map((id, i) => {
    const doc = store.get(id)!;
    const view: StoredDocumentView = { id, text: doc.text };
    if (doc.title !== undefined) view.title = doc.title;
    if (doc.meta !== undefined) view.meta = doc.meta;
    if (dense.length > 0)
      view.vectors = Object.fromEntries(
        dense.map(({ name }, j) => [
          name,
          units[j][i].map(({ span, vector }) => ({
            start: span?.start ?? 0,
            end: span?.end ?? doc.text.length,
            vector,
          })),
        ]),
      );
    return view;
  });
}
