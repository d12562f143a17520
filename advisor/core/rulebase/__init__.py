"""The knowledge base as data: rules, the catalog, conditions, pictures, questionnaires
(and the follow-up questions derived from a last visit), and the check of all of them."""
