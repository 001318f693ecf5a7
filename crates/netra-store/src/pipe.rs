//! A two-slot hand-off between a producer and a consumer future joined in
//! one task: the producer (parsing, JSON, hashing on the calling thread)
//! runs while the consumer waits for the database driver's worker (SQLite
//! runs statements on its own thread), so an import uses both cores.
//!
//! `std::sync::Mutex` keeps the futures `Send` (the web application awaits
//! imports inside request handlers).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

struct State<T> {
    queue: VecDeque<T>,
    closed: bool,
    failed: bool,
    pop_waker: Option<Waker>,
    push_waker: Option<Waker>,
}

/// A bounded queue of jobs between two futures of the same task.
pub(crate) struct Pipe<T> {
    state: Mutex<State<T>>,
    capacity: usize,
}

impl<T> Pipe<T> {
    pub fn new(capacity: usize) -> Pipe<T> {
        Pipe {
            state: Mutex::new(State {
                queue: VecDeque::with_capacity(capacity),
                closed: false,
                failed: false,
                pop_waker: None,
                push_waker: None,
            }),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `item` over; resolves to false when the consumer has failed
    /// (the producer should stop). Always yields once, so that the consumer
    /// gets to submit the next job as soon as the driver is free.
    pub fn push(&self, item: T) -> Push<'_, T> {
        Push {
            pipe: self,
            item: Some(item),
            yielded: false,
        }
    }

    /// The next job; `None` once the producer has closed the pipe and it is
    /// empty.
    pub fn pop(&self) -> Pop<'_, T> {
        Pop { pipe: self }
    }

    /// No more jobs.
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        if let Some(w) = s.pop_waker.take() {
            w.wake();
        }
    }

    /// The consumer stopped on an error: release a waiting producer.
    pub fn fail(&self) {
        let mut s = self.lock();
        s.failed = true;
        s.queue.clear();
        if let Some(w) = s.push_waker.take() {
            w.wake();
        }
    }
}

pub(crate) struct Push<'a, T> {
    pipe: &'a Pipe<T>,
    item: Option<T>,
    yielded: bool,
}

impl<T> Unpin for Push<'_, T> {}

impl<T> Future for Push<'_, T> {
    type Output = bool;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let this = &mut *self;
        let mut s = this.pipe.lock();
        if s.failed {
            return Poll::Ready(false);
        }
        if let Some(item) = this.item.take() {
            if s.queue.len() < this.pipe.capacity {
                s.queue.push_back(item);
                if let Some(w) = s.pop_waker.take() {
                    w.wake();
                }
            } else {
                this.item = Some(item);
                s.push_waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
        }
        if this.yielded {
            Poll::Ready(true)
        } else {
            this.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

pub(crate) struct Pop<'a, T> {
    pipe: &'a Pipe<T>,
}

impl<T> Future for Pop<'_, T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = self.pipe.lock();
        if let Some(item) = s.queue.pop_front() {
            if let Some(w) = s.push_waker.take() {
                w.wake();
            }
            return Poll::Ready(Some(item));
        }
        if s.closed || s.failed {
            return Poll::Ready(None);
        }
        s.pop_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_over_in_order_and_stops_on_failure() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let pipe = Pipe::new(2);
            let producer = async {
                for i in 0..10 {
                    assert!(pipe.push(i).await);
                }
                pipe.close();
            };
            let consumer = async {
                let mut got = Vec::new();
                while let Some(i) = pipe.pop().await {
                    got.push(i);
                }
                got
            };
            let ((), got) = futures_util::future::join(producer, consumer).await;
            assert_eq!(got, (0..10).collect::<Vec<_>>());

            let pipe = Pipe::new(1);
            let producer = async {
                let mut sent = 0;
                for i in 0..10 {
                    if !pipe.push(i).await {
                        break;
                    }
                    sent += 1;
                }
                pipe.close();
                sent
            };
            let consumer = async {
                let first = pipe.pop().await;
                pipe.fail();
                first
            };
            let (sent, first) = futures_util::future::join(producer, consumer).await;
            assert_eq!(first, Some(0));
            assert!(sent < 10);
        });
    }
}
