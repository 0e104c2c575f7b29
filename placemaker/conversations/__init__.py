"""Ward conversations: area managers listen per ward and street, and show what followed."""
