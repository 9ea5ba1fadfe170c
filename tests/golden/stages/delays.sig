S0 = delay(input(0), 3)
S1 = delay(input(0), 1000)
S2 = delay(input(0), 1)
out0 = S0
out1 = S1
out2 = S2
