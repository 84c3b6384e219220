"""Which of a message's texts an observer sees: their language's, else the
first written of English, Russian and Kazakh."""

FALLBACK_ORDER = ("en", "ru", "kk")


def text_for(language: str | None, texts: dict[str, str]) -> tuple[str, str]:
    """(language, text) for a reader of `language` (a code such as "kk" or "ru-RU")."""
    wanted = (language or "").split("-")[0].lower()
    for code in (wanted, *FALLBACK_ORDER):
        if texts.get(code):
            return code, texts[code]
    return "", ""
