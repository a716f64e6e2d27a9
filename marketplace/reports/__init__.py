"""What the programme's figures say: the convention dashboard and the funder reports."""
