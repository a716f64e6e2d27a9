"""Impact: supported projects, their follow-up over three years, the value of the days."""
