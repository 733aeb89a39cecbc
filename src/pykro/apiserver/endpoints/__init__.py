"""HTTP endpoints: routing, authentication, content negotiation and decoding (JSON, YAML,
protobuf), output formats (Table), discovery and OpenAPI documents, watch streams, and the serving
credentials. Handlers call the registry; they hold no object semantics of their own."""
