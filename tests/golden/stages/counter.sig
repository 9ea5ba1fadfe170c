S0 = proj(0, W0)
S1 = delay(S0, 1)
S2 = bin(+, S1, 1)
S3 = rec(0, S2)
S4 = proj(0, S3)
out0 = S4
