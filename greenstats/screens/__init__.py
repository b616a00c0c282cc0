"""One module per page: `load(reader, filters, lang, …) -> <Page>Data` computes everything the
page shows (cards, charts with their sentences, tables, empty states) without Streamlit, so
the page file only arranges it and a test can sweep every filter through it."""
