"""What the RGD and GraphRevision controllers share, as kro's `pkg/graph/revisions`: the in-memory
registry of compiled revisions (`registry`), the off-loop compiler (`compiler`), revision names and
labels (`naming`), GraphRevision documents (`documents`) and graph status fields (`graphstatus`)."""
