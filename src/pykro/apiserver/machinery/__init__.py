"""Kind-agnostic API machinery every layer uses: `Status` errors, ObjectMeta names, label and field
selectors, JSON/merge/strategic-merge patches, and the field sets of server-side apply."""
