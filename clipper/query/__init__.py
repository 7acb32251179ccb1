"""Finding things in an alignment: quotes (:mod:`.search`, fuzzy word matching), passages
for topics, and the takeaways' timestamp hints resolved by text evidence (:mod:`.resolve`)."""
