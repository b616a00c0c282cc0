"""How numbers read: formats and units (`fmt`), every string in two languages (`i18n/`),
Plotly figures (`charts`), maps (`geo`), shared words (`words`), the blocks a page is made of
(`blocks`: cards, charts, tables), and the Streamlit frame that draws them (`frame/`, the only
package here that imports Streamlit; pages import it as `ui`). Reads `data` and `metrics`; never
`screens`."""
