global using MlNetDeep.Tensors;
