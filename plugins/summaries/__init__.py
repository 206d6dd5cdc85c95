"""Pelican plugin: summaries of whole elements, or up to the author's ``<!-- more -->`` marker
(see ``blocks.py``). A post with a ``Summary:`` line keeps it."""


def register():
    from pelican import signals

    # Once every generator is done: Pelican keeps the first rendering of a post's content, so
    # reading it earlier would hide what other plugins (footnotes) change in it after us.
    signals.all_generators_finalized.connect(summarise_articles)


def summarise_articles(generators) -> None:
    from pelican.generators import ArticlesGenerator

    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            _summarise(generator)


def _summarise(generator) -> None:
    from plugins.listed import listed

    from .blocks import summary_of

    settings = generator.settings
    if not listed(settings, __name__):
        return
    seen = set()
    for attribute in ("articles", "translations", "drafts", "drafts_translations", "hidden_articles", "hidden_translations"):
        for article in getattr(generator, attribute, None) or []:
            if id(article) in seen or "summary" in article.metadata:
                continue
            seen.add(id(article))
            summary = summary_of(article.content, settings.get("SUMMARY_MAX_LENGTH"), settings.get("SUMMARY_END_SUFFIX") or "…")
            if summary is not None:
                article.metadata["summary"] = summary
