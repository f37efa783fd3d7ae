"""The review web app: people check, correct and add to what the pipeline extracted.

store.py keeps every decision (SQLite, append-only), merge.py applies the latest ones to the
tables, queue.py orders releases by need, decide.py validates actions, app.py serves the page.
"""
