"""Programme finance: the fund, repayable advances, the approval committee."""
