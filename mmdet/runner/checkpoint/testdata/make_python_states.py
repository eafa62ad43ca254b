# Writes python_sgd.pth / python_adam.pth: torch 1.13's optimizer.state_dict() after two steps
# of a Conv2d(3,4,3)+Linear(4,2) net in two groups, plus the buffers for the C++ test to compare.
import torch
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.conv=torch.nn.Conv2d(3,4,3); s.fc=torch.nn.Linear(4,2)
    def forward(s,x): return s.fc(s.conv(x).mean((2,3)))
for name, cls, kw in [("sgd", torch.optim.SGD, dict(lr=0.01, momentum=0.9, weight_decay=1e-4)),
                      ("adam", torch.optim.Adam, dict(lr=0.01))]:
    n = Net()
    opt = cls([{'params':[n.conv.weight, n.fc.weight]}, {'params':[n.conv.bias, n.fc.bias], 'lr':0.02,'weight_decay':0}], **kw)
    for g in opt.param_groups: g.setdefault('initial_lr', g['lr'])
    for _ in range(2):
        opt.zero_grad(); n(torch.randn(2,3,6,6)).pow(2).sum().backward(); opt.step()
    torch.save(opt.state_dict(), "python_%s.pth" % name)
