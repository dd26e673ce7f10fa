from .fashion_mnist import FashionMNISTIdx

__all__ = ['FashionMNISTIdx']
