"""Address search: one geocoder interface over PDOK's Locatieserver and a local BAG index."""
