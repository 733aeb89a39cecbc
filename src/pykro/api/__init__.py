"""The ResourceGraphDefinition API: typed model (`rgd`), its CRD manifest (`crd`), frozen data (`frozen`)."""
