"""Needs: what an SME asks for."""
