-- The queue filtered by one state (?state=delivered, ...) pages in index order instead of
-- sorting every item in that state (0.4-2 s at 1M items before; see bench/README.md).
CREATE INDEX items_by_state ON items(state, waiting_since, seq);
