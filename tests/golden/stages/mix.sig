S0 = bin(>, input(0), 0.5)
S1 = bin(*, input(0), 2)
S2 = select2(S0, input(1), S1)
S3 = int(input(1))
S4 = bin(+, S2, S3)
out0 = S4
