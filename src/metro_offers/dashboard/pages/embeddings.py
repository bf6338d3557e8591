"""Embeddings: the latest Item2Vec model's products on a t-SNE map, coloured by department or
category, how often a product's nearest neighbours share its category, and the nearest
neighbours of a chosen product."""

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data
from metro_offers.embeddings.quality import nearest_neighbours, purity_at_k, random_purity

K = 10

st.title("Embeddings")
data.stop_unless_published("product_embeddings", "the Item2Vec embeddings")
products = data.query(
    "select product_id, product_name, category_name, department, anchor_date, vector from product_embeddings "
    "order by product_id"
)
if products.empty:
    st.info(
        "No product embeddings in this snapshot: var item2vec_enabled is false, or no pool had enough "
        "baskets before it to train Item2Vec."
    )
    st.stop()

neighbours = st.cache_data(show_spinner="Finding every product's nearest neighbours ...", max_entries=2)(
    nearest_neighbours
)
anchor = pd.Timestamp(products.anchor_date.iloc[0]).date()
ids, sims = neighbours(np.stack(products.vector.to_numpy()).astype(np.float32), K)
category = products.category_name.fillna("?").to_numpy()
purity = purity_at_k(ids, category)
kpis = st.columns(3)
kpis[0].metric("Products with a vector", f"{len(products):,}")
kpis[1].metric(
    f"Category purity@{K}",
    f"{purity:.0%}",
    help=f"Share of each product's {K} nearest neighbours (cosine) in its own category.",
)
kpis[2].metric("Random neighbours", f"{random_purity(category):.0%}", help="The purity of neighbours drawn at random.")
st.caption(f"The latest Item2Vec model, trained on baskets before {anchor} (the serving pool's anchor).")

points = data.query("select * from product_embedding_map")
colour = st.radio(
    "Colour by",
    ["department", "category_name"],
    format_func=lambda column: column.replace("_name", ""),
    horizontal=True,
    key="embeddings_colour",
)
st.plotly_chart(
    px.scatter(
        points,
        x="x",
        y="y",
        color=colour,
        hover_data=["product_name", "category_name", "orders"],
        title=f"t-SNE of the {len(points):,} most bought products' Item2Vec vectors",
        height=600,
    ).update_traces(marker={"size": 4}),
    width="stretch",
)

st.subheader("Nearest neighbours")
labels = products.product_name + " (" + products.product_id.astype(str) + ")"
chosen = st.selectbox(
    "Product", options=range(len(products)), format_func=lambda i: labels.iloc[i], key="embeddings_product"
)
neighbour_rows = products.iloc[ids[chosen]][["product_id", "product_name", "category_name", "department"]]
st.caption(
    f"{products.product_name.iloc[chosen]} - {products.category_name.iloc[chosen]}, "
    f"{products.department.iloc[chosen]}: its {K} most similar products (cosine of Item2Vec vectors)."
)
st.dataframe(
    neighbour_rows.assign(similarity=sims[chosen].round(3)).reset_index(drop=True),
    hide_index=True,
    width="stretch",
)
