global using Tensor = MlNetDeep.Tensors.Tensor;
