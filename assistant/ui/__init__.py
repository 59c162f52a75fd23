"""The web pages: the customer chat (:mod:`assistant.ui.chat`) and the support lead's area (:mod:`assistant.ui.lead`).

Only layout and wording of figures live here; the chat calls the assistant's public
methods, the lead area calls :class:`assistant.backoffice.Backoffice`; what the pages
say around the conversation is in ``prompts/pages.yaml`` (:mod:`assistant.ui.wording`).
``app.py`` mounts both pages on one server.
"""
