"""Missions: from an accepted proposal to days delivered, approved by the coordinator."""
