print("autograd-server")
