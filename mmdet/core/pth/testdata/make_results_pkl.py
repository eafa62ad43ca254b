# Writes the results.pkl fixtures of //mmdet/core/pth:pickle_test with Python's pickle and
# numpy only, as MMDetection's tools/test.py --out writes them (mmcv.dump: pickle protocol 2):
#   results_bbox_p2.pkl  Faster R-CNN style: a list over 2 images of a list over 3 classes of
#                        float32 (n, 5) arrays (one empty (0, 5));
#   results_mask_p4.pkl  Mask R-CNN style, protocol 4: per image a (bbox_results, segm_results)
#                        tuple, masks as pycocotools RLE dicts {'size': [h, w], 'counts': bytes};
#   arrays_p2.pkl        a dict of other arrays: int64, bool, uint8, float64, a Fortran-order
#                        float32 (2, 3) and a 0-d float32.
# Run from this folder: /usr/bin/python3 make_results_pkl.py   (numpy 1.24 wrote the files)
import pickle

import numpy as np

bbox = [
    [np.array([[10.5, 20.25, 30.0, 40.0, 0.9], [1, 2, 3, 4, 0.5]], dtype=np.float32),
     np.zeros((0, 5), dtype=np.float32),
     np.array([[0, 0, 5, 5, 0.125]], dtype=np.float32)],
    [np.zeros((0, 5), dtype=np.float32),
     np.array([[100, 100, 150.5, 199, 0.75]], dtype=np.float32),
     np.zeros((0, 5), dtype=np.float32)],
]
with open('results_bbox_p2.pkl', 'wb') as f:
    pickle.dump(bbox, f, protocol=2)

# pycocotools counts strings of 4 x 6 masks: b'h0' all zeros (one run of 24), b'53`0' runs 5, 3, 16.
rle = {'size': [4, 6], 'counts': b'h0'}
mask = [(bbox[0], [[rle, rle], [], [{'size': [4, 6], 'counts': b'53`0'}]]),
        (bbox[1], [[], [rle], []])]
with open('results_mask_p4.pkl', 'wb') as f:
    pickle.dump(mask, f, protocol=4)

arrays = {
    'int64': np.arange(6, dtype=np.int64).reshape(2, 3) - 2,
    'bool': np.array([True, False, True]),
    'uint8': np.array([0, 255, 7], dtype=np.uint8),
    'float64': np.array([0.1, -2.5e300]),
    'fortran': np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
    'scalar_array': np.array(3.5, dtype=np.float32),
}
with open('arrays_p2.pkl', 'wb') as f:
    pickle.dump(arrays, f, protocol=2)
