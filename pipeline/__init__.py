"""Bilingual (English / Chinese) extraction pipeline for medical press releases."""

__version__ = "0.1.0"
