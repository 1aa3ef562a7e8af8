"""Sheets from their URLs into the raw folder (`ncmec fetch`): the list, a polite HTTP client, index
pages, the atomic write, the fetch; its ledger is the warehouse's `fetches` (store/fetches.py)."""
