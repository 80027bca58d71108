"""The queue room: the RQ queues (``connection``), the job functions (``jobs``), what runs on its
own (``schedule``), the worker that hands jobs the platform (``worker``) and the queue's health
(``health``). The only part of ``dispatch`` that imports redis or rq."""
